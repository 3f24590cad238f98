import { setFlagsFromString } from 'node:v8';

/**
 * V8 doubles its young generation (up to two semi-spaces of `--max-semi-space-size`, 16 MB by
 * default) whenever the bytes that survived scavenges since the last growth exceed its size, and
 * start-up is all survivors: every module's code and objects outlive their first collections. Left
 * alone, start-up grows it to its maximum and an idle server keeps it for good. Importing this
 * module first keeps the young generation at its initial size until the server listens;
 * `releaseYoungGeneration` then lets traffic grow it as before (under load it is back at its
 * maximum within seconds). Start-up does more scavenges for it, about 0.2 s of CPU once. A
 * cluster's main process serves nothing and never releases it. The maximum itself is fixed when V8
 * creates the heap, so it cannot be set here: `npm start` passes `--max-semi-space-size=64` on
 * node's command line (cluster workers inherit it), which under load cuts scavenges by about four
 * (docs/performance.md, "Where the time goes").
 */
setFlagsFromString('--semi-space-growth-factor=1');

/** V8's own growth factor again, once the server listens. */
export function releaseYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=2');
}
