import sodium from 'libsodium-wrappers';

/** libsodium is WASM and must be initialised once before use. */
export async function vaultReady(): Promise<void> {
  await sodium.ready;
}

export { sodium };
