import type { Database } from '../db/database.ts';
import { Ledger } from '../ledger/ledger.ts';
import { AllowancePeriods } from './allowances.ts';
import { RecognitionSettingsCache } from './settings-cache.ts';

/** What the recognition commands work with; one per process. */
export interface RecognitionServices {
  readonly db: Database;
  readonly ledger: Ledger;
  readonly periods: AllowancePeriods;
  readonly settings: RecognitionSettingsCache;
}

export function createRecognitionServices(db: Database): RecognitionServices {
  const ledger = new Ledger(db);
  return {
    db,
    ledger,
    periods: new AllowancePeriods(ledger),
    settings: new RecognitionSettingsCache(db),
  };
}
