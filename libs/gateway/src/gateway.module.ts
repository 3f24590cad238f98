import { Module } from '@nestjs/common';
import { ByokModule } from '@gw/byok';
import { CatalogModule } from '@gw/catalog';
import { ChatService } from './chat.service';
import { GenerationRecorder } from './generation-recorder';
import { GenerationsService } from './generations.service';

@Module({
  imports: [ByokModule, CatalogModule],
  providers: [ChatService, GenerationRecorder, GenerationsService],
  exports: [ChatService, GenerationsService, CatalogModule],
})
export class GatewayModule {}
