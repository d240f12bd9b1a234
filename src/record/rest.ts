/**
 * The recorder's REST side: the adapter's unsigned market-data client (src/adapter/binance/
 * public-rest.ts: exchangeInfo, the clock offset, budgeted depth snapshots) on the wall clock's
 * timers. `RestClient` is the name the recorder and its tests have always used.
 */
import { PublicRest, type PublicRestOptions, type Timers } from '../adapter/binance/index.ts';
import { wallTimers } from './clock.ts';

export { RestError, type Snapshot } from '../adapter/binance/index.ts';

export class RestClient extends PublicRest {
  constructor(o: Omit<PublicRestOptions, 'timers'> & { timers?: Timers }) {
    super({ ...o, timers: o.timers ?? wallTimers });
  }
}
