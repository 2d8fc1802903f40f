// Picks the one line of a component's log that explains why it failed to start, so a failed
// launch can be reported in one line. Pure: text in, sentence out.

const PORT_IN_USE = /listen tcp [^:\s]*:(\d+): bind: address already in use/;
const INTERESTING = /\b(error|failed|fatal|panic|unable|invalid|cannot|refused)\b/i;
const MAX = 240;

/** Strips klog / zap / logfmt prefixes down to the message. */
function message(line: string): string {
  let m = line.trim();
  // klog: "E1122 03:55:25.123456   1234 server.go:123] message"
  m = m.replace(/^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+\S+:\d+\]\s*/, '');
  // etcd 3.4: "2026-11-22 03:55:25.123456 C | etcdmain: message"
  m = m.replace(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d+ [A-Z] \| /, '');
  return m.length > MAX ? `${m.slice(0, MAX - 1)}…` : m;
}

export function startCause(log: string): string | undefined {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const port = PORT_IN_USE.exec(lines[i]!);
    if (port) return `port ${port[1]} is already in use (port clash)`;
  }
  const tail = lines.slice(-60);
  for (let i = tail.length - 1; i >= 0; i--) {
    if (INTERESTING.test(tail[i]!)) return message(tail[i]!);
  }
  const last = tail.at(-1);
  return last === undefined ? undefined : message(last);
}
