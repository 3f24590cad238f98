import type { MeResponse } from '@gw/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from './client';

export type Me = MeResponse & { tenant: { disabled?: boolean } };

export const ME_KEY = ['me'] as const;

/** The signed-in user, or an ApiError(401) when there is no session. */
export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: () => api.get<Me>('/api/me'), staleTime: 60_000, retry: false });
}
