import { z } from 'zod';

export const emailSchema = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email({ message: 'must be a valid email address' }))
  .transform((email) => email.toLowerCase());

export const credentialsBody = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
});
export type CredentialsBody = z.infer<typeof credentialsBody>;

export interface UserView {
  id: string;
  email: string;
  role: 'member' | 'admin';
}

export interface TenantView {
  id: string;
  name: string;
}

export interface MeResponse {
  user: UserView;
  tenant: TenantView;
}

export interface SessionResponse extends MeResponse {
  token: string;
  /** Shown once, in the signup response only. */
  recoveryKey?: string | null;
}
