import type { GatewayKeyView } from '@gw/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';

export const KEYS_KEY = ['keys'] as const;

/** The tenant's gateway keys (no secrets); shared by the keys page, usage filters and the vault dialogs. */
export function useKeys() {
  return useQuery({ queryKey: KEYS_KEY, queryFn: () => api.get<{ data: GatewayKeyView[] }>('/api/keys') });
}
