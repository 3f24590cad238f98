import { Module } from '@nestjs/common';
import { KeysCoreModule } from '@gw/accounts';
import { CatalogModule } from '@gw/catalog';
import { AdminService } from './admin.service';

@Module({ imports: [KeysCoreModule, CatalogModule], providers: [AdminService], exports: [AdminService] })
export class AdminModule {}
