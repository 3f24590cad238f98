export * from './billing-policy';
export * from './billing.module';
export * from './credit-store';
export * from './ledger.service';
export * from './pricing';
export * from './settlement';
export * from './worst-case';
