import { Alert, Group, type GroupProps } from '@mantine/core';
import type { ReactNode } from 'react';

/** A form's closing row: the form-level error (field errors sit on their fields) above the buttons. */
export function FormFooter({
  error,
  justify = 'flex-end',
  children,
}: {
  error: string | undefined;
  justify?: GroupProps['justify'];
  children: ReactNode;
}) {
  return (
    <>
      {error && <Alert color="red">{error}</Alert>}
      <Group justify={justify}>{children}</Group>
    </>
  );
}
