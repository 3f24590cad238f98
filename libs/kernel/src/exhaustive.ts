/** Ends a switch over a union: adding a member without handling it fails to compile. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unhandled ${what}: ${String(value)}`);
}
