-- CreateTable
CREATE TABLE "catalog_models" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "context_length" INTEGER NOT NULL,
    "prompt_micros_per_mtok" BIGINT,
    "completion_micros_per_mtok" BIGINT,
    "endpoints" JSONB NOT NULL DEFAULT '[]',
    "supports_tools" BOOLEAN NOT NULL DEFAULT true,
    "supports_json" BOOLEAN NOT NULL DEFAULT true,
    "price_overridden" BOOLEAN NOT NULL DEFAULT false,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "catalog_models_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "generations" (
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "key_id" UUID NOT NULL,
    "requested_model" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "provider" TEXT,
    "is_byok" BOOLEAN NOT NULL,
    "fallback" BOOLEAN NOT NULL,
    "attempts" JSONB NOT NULL,
    "prompt_tokens" INTEGER NOT NULL,
    "completion_tokens" INTEGER NOT NULL,
    "cost_micros" BIGINT NOT NULL DEFAULT 0,
    "upstream_cost_micros" BIGINT NOT NULL DEFAULT 0,
    "latency_ms" INTEGER NOT NULL,
    "ttfb_ms" INTEGER,
    "status" TEXT NOT NULL,
    "http_status" INTEGER NOT NULL,
    "streamed" BOOLEAN NOT NULL,
    "app_referer" TEXT,
    "app_title" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "generations_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "generations_tenant_id_created_at_idx" ON "generations"("tenant_id", "created_at");

-- CreateIndex
CREATE INDEX "generations_key_id_created_at_idx" ON "generations"("key_id", "created_at");
