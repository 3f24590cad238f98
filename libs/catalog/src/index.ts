export * from './catalog-sync.service';
export * from './catalog.module';
export * from './catalog.service';
export * from './openrouter-models';
