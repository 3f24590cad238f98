export * from './chat.service';
export * from './gateway.module';
export * from './generation-recorder';
export * from './generation-writer';
export * from './generation.types';
export * from './generations.service';
export * from './middle-out';
export * from './response-sink';
