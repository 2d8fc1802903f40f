// Which containers of a targeted pod a policy sizes: the semantics of spec.containers, in one place
// for the controller, the plugin and the docs.
import { WELL_KNOWN_SIDECARS } from './constants.ts';
import type { ResizePolicySpec } from './spec.ts';

export type ContainerSelection = ResizePolicySpec['containers'];

/**
 * True when `name` is sized under `selection`:
 * exclude always wins; a present include lists exactly the sized containers (sidecars included
 * when listed); without include, every container except the well-known sidecars is sized.
 * Init containers are never passed here: attune does not size them.
 */
export function isContainerSelected(selection: ContainerSelection, name: string): boolean {
  if (selection?.exclude?.includes(name)) return false;
  if (selection?.include !== undefined) return selection.include.includes(name);
  return !WELL_KNOWN_SIDECARS.includes(name);
}
