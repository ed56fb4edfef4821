/** Digits after the point of a currency's minor unit (ISO 4217); 2 unless listed. */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  BHD: 3,
  CLP: 0,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KRW: 0,
  KWD: 3,
  OMR: 3,
  TND: 3,
  UGX: 0,
  VND: 0,
};

export function minorDigits(currency: string): number {
  return MINOR_DIGITS[currency] ?? 2;
}

/** `2550, 'EUR'` → `25.50 EUR`. */
export function formatMoney(minor: number, currency: string): string {
  const digits = minorDigits(currency);
  const sign = minor < 0 ? '-' : '';
  const whole = Math.abs(minor);
  if (digits === 0) return `${sign}${whole} ${currency}`;
  const unit = 10 ** digits;
  const fraction = String(whole % unit).padStart(digits, '0');
  return `${sign}${Math.floor(whole / unit)}.${fraction} ${currency}`;
}

/**
 * Reads an amount in major units (`25`, `25.5`, `25.50`) as minor units of the currency;
 * undefined when it is not one (negative, too many decimals, not a number).
 */
export function parseMoney(text: string, currency: string): number | undefined {
  const digits = minorDigits(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  return Number(match[1]) * 10 ** digits + Number(fraction.padEnd(digits, '0') || '0');
}

/**
 * Reads the money a point is worth, in major units (`0.01`, `0.005`), as thousandths of a
 * minor unit; undefined when it is not such an amount.
 */
export function parseRate(text: string, currency: string): number | undefined {
  const places = minorDigits(currency) + 3;
  const match = /^(\d{1,9})(?:\.(\d+))?$/.exec(text.trim());
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > places) return undefined;
  return Number(match[1]) * 10 ** places + Number(fraction.padEnd(places, '0') || '0');
}

/** Thousandths of a minor unit as money, to the digit needed: `500, 'EUR'` → `0.005 EUR`. */
export function formatRate(milli: number, currency: string): string {
  const digits = minorDigits(currency);
  const places = digits + 3;
  const unit = 10 ** places;
  let fraction = String(milli % unit).padStart(places, '0');
  while (fraction.length > digits && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${Math.floor(milli / unit)}${fraction ? `.${fraction}` : ''} ${currency}`;
}
