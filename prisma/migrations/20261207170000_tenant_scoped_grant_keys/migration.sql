-- Admin credit grants' idempotency keys are scoped to their tenant (admin:<tenant id>:<key>), so
-- the same key may be used for two tenants. Existing grants move to the new form.
UPDATE "ledger_entries"
   SET "idempotency_key" = 'admin:' || "tenant_id"::text || ':' || substr("idempotency_key", 7)
 WHERE "idempotency_key" LIKE 'admin:%';
