// Certificates for a local cluster: one CA signs every serving certificate (apiserver,
// controller-manager, scheduler) and every client certificate (admin, controller-manager,
// scheduler, and later node identities); a separate key pair signs service-account tokens.
// ECDSA P-256 throughout: fast to generate, and accepted by every Kubernetes component.
// @peculiar/x509 resolves its ASN.1 services through tsyringe, which needs this polyfill first.
import 'reflect-metadata';
import { webcrypto, KeyObject, randomBytes } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const VALIDITY_DAYS = 365;

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends PemPair {
  readonly keys: CryptoKeyPair;
  readonly cert: x509.X509Certificate;
}

export interface ServingCertRequest {
  commonName: string;
  dnsNames: string[];
  ips: string[];
}

export interface ClientCertRequest {
  /** Becomes the Kubernetes user name. */
  commonName: string;
  /** Become the Kubernetes groups (e.g. system:masters). */
  organizations?: string[];
}

function keyToPem(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

function serial(): string {
  // Positive 128-bit serial (leading byte < 0x80).
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f;
  return b.toString('hex');
}

function validity(): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Date.now() - 60_000); // tolerate small clock differences
  const notAfter = new Date(notBefore.getTime() + VALIDITY_DAYS * 86_400_000);
  return { notBefore, notAfter };
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

export async function createCA(commonName: string): Promise<CertificateAuthority> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { keys, cert, certPem: cert.toString('pem'), keyPem: keyToPem(keys.privateKey) };
}

async function issue(
  ca: CertificateAuthority,
  subject: string,
  usages: string[],
  extra: x509.Extension[],
): Promise<PemPair> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    ...validity(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension(usages),
      await x509.AuthorityKeyIdentifierExtension.create(ca.keys.publicKey),
      ...extra,
    ],
  });
  return { certPem: cert.toString('pem'), keyPem: keyToPem(keys.privateKey) };
}

export async function issueServingCert(ca: CertificateAuthority, req: ServingCertRequest): Promise<PemPair> {
  const names = [
    ...req.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...req.ips.map((value) => ({ type: 'ip' as const, value })),
  ];
  return issue(ca, `CN=${req.commonName}`, [x509.ExtendedKeyUsage.serverAuth], [new x509.SubjectAlternativeNameExtension(names)]);
}

/** Escapes a value for an RFC 4514 distinguished name (user and group names contain ':' and '-'). */
function dnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

export async function issueClientCert(ca: CertificateAuthority, req: ClientCertRequest): Promise<PemPair> {
  const subject = [`CN=${dnValue(req.commonName)}`, ...(req.organizations ?? []).map((o) => `O=${dnValue(o)}`)].join(', ');
  return issue(ca, subject, [x509.ExtendedKeyUsage.clientAuth], []);
}

/** The key pair the apiserver signs service-account tokens with (and verifies them by). */
export async function createServiceAccountKeys(): Promise<{ publicKeyPem: string; privateKeyPem: string }> {
  const keys = await generateKeys();
  return {
    publicKeyPem: KeyObject.from(keys.publicKey).export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: keyToPem(keys.privateKey),
  };
}
