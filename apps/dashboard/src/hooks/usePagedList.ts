import type { Page } from '@gw/contracts';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api, query } from '../api/client';

/** A cursor-paged list (`{data, nextCursor}`), newest first; `rows` are the pages loaded so far. */
export function usePagedList<T>(queryKey: readonly unknown[], path: string, limit: number, refetchInterval?: number) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam }) => api.get<Page<T>>(`${path}${query({ limit, cursor: pageParam })}`),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
    refetchInterval,
  });
  const rows = list.data?.pages.flatMap((page) => page.data) ?? [];
  return { list, rows };
}
