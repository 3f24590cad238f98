import { useSyncExternalStore } from 'react';

/**
 * Secrets the browser holds for this tab only: the recovery key from signup (so creating a key
 * with vault access needs no re-typing) and gateway keys created in this session (for the
 * playground). Plain module state: never written to storage, gone on reload, never rendered.
 */
export interface SessionKey {
  id: string;
  name: string;
  hint: string;
  secret: string;
}

interface State {
  recoveryKey: string | null;
  keys: SessionKey[];
}

let state: State = { recoveryKey: null, keys: [] };
const listeners = new Set<() => void>();

function update(next: State): void {
  state = next;
  for (const listener of listeners) listener();
}

export const memorySecrets = {
  setRecoveryKey(recoveryKey: string | null): void {
    update({ ...state, recoveryKey });
  },
  addKey(key: SessionKey): void {
    update({ ...state, keys: [...state.keys.filter((k) => k.id !== key.id), key] });
  },
  forgetKey(id: string): void {
    update({ ...state, keys: state.keys.filter((k) => k.id !== id) });
  },
  clear(): void {
    update({ recoveryKey: null, keys: [] });
  },
  snapshot(): State {
    return state;
  },
};

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useMemorySecrets(): State {
  return useSyncExternalStore(subscribe, () => state);
}
