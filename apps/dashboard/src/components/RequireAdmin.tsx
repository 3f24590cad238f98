import { Outlet } from 'react-router';
import { useMe } from '../api/session';
import { NotFoundPage } from '../pages/NotFoundPage';

/** Admin pages render only for admins; the API refuses members anyway (403). */
export function RequireAdmin() {
  const me = useMe();
  if (me.data?.user.role !== 'admin') return <NotFoundPage />;
  return <Outlet />;
}
