import { Center, Loader } from '@mantine/core';
import { type ComponentType, lazy, type ReactNode, Suspense } from 'react';

/** Shown while a page's code loads. */
export function PageLoader() {
  return (
    <Center py="xl" mih={200}>
      <Loader size="sm" aria-label="Loading page" />
    </Center>
  );
}

/** A page component loaded on first render, from a module with named exports. */
export function lazyPage<M>(load: () => Promise<M>, pick: (module: M) => ComponentType) {
  return lazy(async () => ({ default: pick(await load()) }));
}

/** A lazy page outside the app shell (log-in, sign-up), with its own fallback. */
export function Suspended({ children }: { children: ReactNode }) {
  return <Suspense fallback={<PageLoader />}>{children}</Suspense>;
}
