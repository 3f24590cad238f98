export * from './billing-policy';
export * from './billing.module';
export * from './credit-store';
export * from './ledger.service';
export * from './pricing';
export * from './settlement';
export * from './slot-leases';
export * from './worst-case';
