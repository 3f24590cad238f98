import { Module } from '@nestjs/common';
import { CatalogSync } from './catalog-sync.service';
import { CatalogService } from './catalog.service';

@Module({ providers: [CatalogService, CatalogSync], exports: [CatalogService, CatalogSync] })
export class CatalogModule {}
