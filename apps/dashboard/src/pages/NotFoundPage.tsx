import { Button, EmptyState } from '@mantine/core';
import { IconCompass } from '@tabler/icons-react';
import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <EmptyState
      mt="xl"
      icon={<IconCompass />}
      title="Page not found"
      description="This page does not exist, or your account cannot see it."
    >
      <Button component={Link} to="/keys" variant="light">
        Go to API keys
      </Button>
    </EmptyState>
  );
}
