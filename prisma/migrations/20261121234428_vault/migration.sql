-- CreateEnum
CREATE TYPE "VaultWrapKind" AS ENUM ('gateway_key', 'recovery_key');

-- CreateEnum
CREATE TYPE "ProviderId" AS ENUM ('openrouter', 'azure', 'bedrock', 'vertex');

-- AlterTable
ALTER TABLE "tenants" ADD COLUMN     "vault_epoch" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "vault_public_key" BYTEA;

-- CreateTable
CREATE TABLE "vault_wraps" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "kind" "VaultWrapKind" NOT NULL,
    "gateway_key_id" UUID,
    "wrapped" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vault_wraps_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "provider_keys" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "provider" "ProviderId" NOT NULL,
    "label" TEXT NOT NULL,
    "hint" TEXT NOT NULL,
    "always_use" BOOLEAN NOT NULL DEFAULT false,
    "disabled" BOOLEAN NOT NULL DEFAULT false,
    "sealed" BYTEA NOT NULL,
    "model_slugs" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "region" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "provider_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "vault_audit_log" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "actor_type" TEXT NOT NULL,
    "actor_id" TEXT,
    "action" TEXT NOT NULL,
    "target_id" TEXT,
    "ip" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "vault_audit_log_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "vault_wraps_gateway_key_id_key" ON "vault_wraps"("gateway_key_id");

-- CreateIndex
CREATE INDEX "vault_wraps_tenant_id_kind_idx" ON "vault_wraps"("tenant_id", "kind");

-- CreateIndex
CREATE INDEX "provider_keys_tenant_id_provider_created_at_idx" ON "provider_keys"("tenant_id", "provider", "created_at");

-- CreateIndex
CREATE INDEX "vault_audit_log_tenant_id_created_at_idx" ON "vault_audit_log"("tenant_id", "created_at");

-- AddForeignKey
ALTER TABLE "vault_wraps" ADD CONSTRAINT "vault_wraps_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vault_wraps" ADD CONSTRAINT "vault_wraps_gateway_key_id_fkey" FOREIGN KEY ("gateway_key_id") REFERENCES "gateway_keys"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "provider_keys" ADD CONSTRAINT "provider_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vault_audit_log" ADD CONSTRAINT "vault_audit_log_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
