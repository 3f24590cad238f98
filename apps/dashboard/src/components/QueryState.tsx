import { Alert, Button, Center, Loader } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';

/** Loading and error rendering shared by every page's queries. */
export function QueryState({ isPending, error, retry }: { isPending: boolean; error: Error | null; retry: () => void }) {
  if (isPending) {
    return (
      <Center py="xl">
        <Loader size="sm" aria-label="Loading" />
      </Center>
    );
  }
  if (error) {
    return (
      <Alert color="red" icon={<IconAlertTriangle size={18} />} title="Could not load this data">
        {error.message}{' '}
        <Button variant="subtle" size="compact-sm" onClick={retry}>
          Try again
        </Button>
      </Alert>
    );
  }
  return null;
}
