import { NumberInput, type NumberInputProps } from '@mantine/core';

// Every number field lets any value through (no clamping) so the schema can name what is wrong.

/** A USD amount; empty means "none" where the caller allows it. */
export function UsdInput(props: NumberInputProps) {
  return <NumberInput clampBehavior="none" prefix="$" decimalScale={6} {...props} />;
}

/** A gateway key's credit limit. */
export function CreditLimitInput(props: NumberInputProps) {
  return <UsdInput label="Credit limit (USD)" description="Empty: no limit" min={0} {...props} />;
}

/** A gateway key's requests per minute. */
export function RateLimitInput(props: NumberInputProps) {
  return (
    <NumberInput
      clampBehavior="none"
      label="Rate limit (requests/min)"
      description="Empty: no limit"
      min={1}
      allowDecimal={false}
      {...props}
    />
  );
}

/** The BYOK fee, edited as a percentage (the API takes a fraction). */
export function FeePercentInput(props: NumberInputProps) {
  return <NumberInput clampBehavior="none" label="BYOK fee (%)" suffix="%" min={0} max={100} decimalScale={4} {...props} />;
}

/** The month's fee-free BYOK requests. */
export function FreeRequestsInput(props: NumberInputProps) {
  return (
    <NumberInput
      clampBehavior="none"
      label="Free BYOK requests per month"
      min={0}
      allowDecimal={false}
      thousandSeparator=","
      {...props}
    />
  );
}

/** The month's fee-free BYOK usage at list price. */
export function FreeUsdInput(props: NumberInputProps) {
  return <UsdInput label="Free BYOK usage per month (USD, list price)" min={0} {...props} />;
}

/** A NumberInput value as an optional number: '' (an empty field) is undefined. */
export function optionalNumber(value: string | number): number | undefined {
  return value === '' ? undefined : Number(value);
}
