export interface ErrorResponse {
  error: { code: number; message: string; metadata: Record<string, unknown> & { field?: string; type?: string } };
}
