-- AlterTable
ALTER TABLE "gateway_keys" ADD COLUMN     "usage_micros" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "tenant_balances" ADD COLUMN     "version" BIGINT NOT NULL DEFAULT 0;
