import { Card, EmptyState, Table, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import classes from './QueryTable.module.css';
import { QueryState } from './QueryState';

/** The parts of a query (plain or paged) a list needs to show loading, errors and emptiness. */
export interface ListQuery {
  isPending: boolean;
  isSuccess: boolean;
  error: Error | null;
  refetch: () => Promise<unknown>;
}

/**
 * A list page's table: the query's loading or error state, `empty` once it loaded no rows, and
 * the table in a bordered card that scrolls sideways below `minWidth`. With `stickyActions` the
 * last column (the row's actions) stays pinned to the right edge while the rest scrolls.
 */
export function QueryTable({
  query,
  count,
  empty,
  minWidth,
  stickyActions = false,
  children,
}: {
  query: ListQuery;
  count: number;
  empty: ReactNode;
  minWidth: number;
  stickyActions?: boolean;
  children: ReactNode;
}) {
  return (
    <>
      <QueryState isPending={query.isPending} error={query.error} retry={() => void query.refetch()} />
      {query.isSuccess && count === 0 && empty}
      {count > 0 && (
        <Card withBorder padding={0} className={stickyActions ? classes.stickyActions : undefined}>
          <Table.ScrollContainer minWidth={minWidth}>{children}</Table.ScrollContainer>
        </Card>
      )}
    </>
  );
}

/** The empty state of a primary list, with an optional call to action. */
export function EmptyCard({
  icon,
  title,
  description,
  children,
}: {
  icon: ReactNode;
  title: string;
  description: string;
  children?: ReactNode;
}) {
  return (
    <Card withBorder padding="xl">
      <EmptyState icon={icon} title={title} description={description}>
        {children}
      </EmptyState>
    </Card>
  );
}

/** The empty state of a secondary list: one dimmed line in a card. */
export function EmptyNote({ children }: { children: ReactNode }) {
  return (
    <Card withBorder padding="lg">
      <Text c="dimmed" size="sm" ta="center">
        {children}
      </Text>
    </Card>
  );
}
