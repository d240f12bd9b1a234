// Behaviour pin for performance work on the decision path (signal, strategy, risk, OMS, trader):
// the real BTCUSDT 2024-08-08 sample through `TradingCore` under several configurations, with every
// intent, risk decision, command batch and risk state change serialised into one SHA-256 per
// configuration. The expected digests were recorded on the code BEFORE the allocation/sort/Map
// optimisations of the decision path (commit 0ac05fb); a refactor that changes any intent (quotes or
// reason text), trim, denial or command on this sample changes a digest. Record new digests only
// for an intended behaviour change, and say so in the commit.
// The three recorded cases read the depth book alone (`bookSource: 'depth'`, the default before the
// fused book of issue 9), so they keep pinning the decision path; the last case pins the default
// fused book (depth + bookTicker overlay), recorded when it became the default.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../../src/core/bus.ts';
import { SimClock } from '../../src/core/clock.ts';
import type { MarketEvent } from '../../src/model/events.ts';
import type { SpecRegistry } from '../../src/model/instrument.ts';
import type { ExecutionReport, VenueCommand } from '../../src/model/venue.ts';
import { TradingCore, type TraderConfigInput, type TraderEvents } from '../../src/trader/index.ts';
import { HBT_BTC, haveReal, loadRealEvents, realSpecs } from '../support/shared-data.ts';
import { FakeGateway } from './harness.ts';

interface Outcome {
  digest: string;
  decisions: number;
  commands: number;
  fills: number;
  positionLots: number;
}

/** Acks every command at once (the bench's gateway): orders rest, nothing fills. */
function ackGateway(): { send: (cmd: VenueCommand, tsUs: number) => ExecutionReport[] } {
  const orders = new Map<string, { id: number; price: number; qty: number; side: 'buy' | 'sell' }>();
  let nextId = 1;
  return {
    send(cmd, tsUs) {
      const base = { symbol: 'BTCUSDT', cumFilledLots: 0, lastFillLots: 0, lastFillPriceTicks: 0, tradeId: -1, liquidity: null, commission: '0', errorCode: 0, errorMessage: '', reduceOnly: false, tsExchangeUs: tsUs } as const;
      if (cmd.kind === 'submit') {
        const o = { id: nextId++, price: cmd.order.priceTicks, qty: cmd.order.qtyLots, side: cmd.order.side };
        orders.set(cmd.order.clientOrderId, o);
        return [{ ...base, clientOrderId: cmd.order.clientOrderId, orderId: o.id, execType: 'NEW', status: 'NEW', side: o.side, priceTicks: o.price, origQtyLots: o.qty }];
      }
      if (cmd.kind === 'query') return []; // nothing here makes an outcome unknown
      const o = orders.get(cmd.clientOrderId);
      if (!o) return [];
      if (cmd.kind === 'cancel') {
        orders.delete(cmd.clientOrderId);
        return [{ ...base, clientOrderId: cmd.clientOrderId, orderId: o.id, execType: 'CANCELED', status: 'CANCELED', side: o.side, priceTicks: o.price, origQtyLots: o.qty }];
      }
      o.price = cmd.priceTicks;
      o.qty = cmd.qtyLots;
      return [{ ...base, clientOrderId: cmd.clientOrderId, orderId: o.id, execType: 'AMENDMENT', status: 'NEW', side: o.side, priceTicks: o.price, origQtyLots: o.qty }];
    },
  };
}

/**
 * Runs the sample through a fresh core. `filling`: the test harness's fake exchange, which fills a
 * resting order when the touch trades through it (positions move, risk and skew engage).
 */
function run(events: readonly MarketEvent[], specs: SpecRegistry, config: TraderConfigInput, filling: boolean): Outcome {
  const clock = new SimClock(events[0].tsReceiveUs);
  const bus = new EventBus<TraderEvents>();
  const hash = createHash('sha256');
  const record = (kind: string) => (payload: unknown) => {
    hash.update(kind);
    hash.update(JSON.stringify(payload));
    hash.update('\n');
  };
  bus.on('trader.intentDecided', record('intent'));
  bus.on('trader.riskDecided', record('decision'));
  bus.on('trader.commandsQueued', record('commands'));
  bus.on('risk.stateChanged', record('state'));
  let fills = 0;
  bus.on('order.filled', () => fills++);
  const core = new TradingCore({ clock, bus, instruments: [specs.get('BTCUSDT')], config, initialBalance: [{ asset: 'USDT', amount: '100000' }] });
  const gateway = filling ? new FakeGateway(() => clock.nowUs()) : null;
  const acker = ackGateway();
  const flush = (tsUs: number): void => {
    for (let round = 0; round < 10; round++) {
      const cmds = core.drainCommands();
      if (cmds.length === 0 && (gateway === null || gateway.outbox.length === 0)) return;
      for (const cmd of cmds) {
        if (gateway === null) for (const r of acker.send(cmd, tsUs)) core.onVenueEvent({ kind: 'report', report: r });
        else gateway.onCommand(cmd);
      }
      if (gateway !== null) {
        const out = gateway.outbox;
        gateway.outbox = [];
        for (const e of out) core.onVenueEvent(e);
      }
    }
  };
  for (const e of events) {
    for (let t = core.nextTimerUs(); t <= e.tsReceiveUs; t = core.nextTimerUs()) {
      clock.advanceTo(t);
      core.onTimer(t);
      flush(t);
    }
    clock.advanceTo(e.tsReceiveUs);
    core.onMarketEvent(e);
    if (gateway !== null && (e.type === 'depth' || e.type === 'snapshot')) {
      const book = core.book('BTCUSDT');
      if (book.isValid()) gateway.onBook(book.bestBidTicks(), book.bestAskTicks());
    }
    flush(e.tsReceiveUs);
  }
  return { digest: hash.digest('hex').slice(0, 16), decisions: core.counters.decisions, commands: core.counters.commands, fills, positionLots: core.oms.positionLots('BTCUSDT') };
}

const CASES: { name: string; filling: boolean; config: TraderConfigInput; expected: Outcome }[] = [
  {
    name: 'bench: GLFT 1 level, acking gateway',
    filling: false,
    config: {
      strategy: { kind: 'glft', gammaPerTick: 0.05, sizeLots: 2, maxPositionLots: 20, levels: 1, requoteToleranceTicks: 1 },
      risk: { maxPositionLots: 20 },
      decision: { bookSource: 'depth' },
    },
    expected: { digest: 'ca3e86cae1130475', decisions: 3929, commands: 978, fills: 0, positionLots: 0 },
  },
  {
    name: 'GLFT 2 levels, filling gateway, cancel-replace',
    filling: true,
    config: {
      strategy: { kind: 'glft', gammaPerTick: 0.05, sizeLots: 2, maxPositionLots: 8, levels: 2, requoteToleranceTicks: 1 },
      risk: { maxPositionLots: 8 },
      oms: { modifyMode: 'cancel-replace' },
      decision: { bookSource: 'depth' },
    },
    expected: { digest: 'c4f6a83c1835be35', decisions: 6116, commands: 4226, fills: 152, positionLots: 0 },
  },
  {
    name: 'fixed 3 levels, tilt on levels OBI, filling gateway, tight risk',
    filling: true,
    config: {
      strategy: {
        kind: 'fixed',
        halfSpreadTicks: 2,
        skewTicksPerLot: 0.5,
        sizeLots: 3,
        maxPositionLots: 9,
        levels: 3,
        levelSpacingTicks: 2,
        requoteToleranceTicks: 0,
        tilt: { obiTicksPerUnit: 2, maxTiltTicks: 3 },
      },
      risk: { maxPositionLots: 6, maxOpenOrders: 4 },
      decision: { obiSource: 'levels', minIntervalUs: 20_000, bookSource: 'depth' },
    },
    expected: { digest: 'be0efb4f90220a6f', decisions: 4433, commands: 3481, fills: 906, positionLots: 3 },
  },
  {
    name: 'GLFT 2 levels, filling gateway, fused book (default)',
    filling: true,
    config: {
      strategy: { kind: 'glft', gammaPerTick: 0.05, sizeLots: 2, maxPositionLots: 8, levels: 2, requoteToleranceTicks: 1 },
      risk: { maxPositionLots: 8 },
    },
    expected: { digest: '5d1ad6a6789084f0', decisions: 6028, commands: 4208, fills: 96, positionLots: 0 },
  },
];

describe('decision path on the real BTCUSDT sample (behaviour pin)', () => {
  let sample: { events: MarketEvent[]; specs: SpecRegistry } | null = null;
  beforeAll(async () => {
    if (!haveReal) return;
    const specs = realSpecs();
    sample = { events: await loadRealEvents(HBT_BTC, { specs }), specs };
  }, 60_000);

  for (const c of CASES) {
    it.skipIf(!haveReal)(`${c.name}: same intents, decisions and commands as recorded`, () => {
      const s = sample as { events: MarketEvent[]; specs: SpecRegistry };
      const out = run(s.events, s.specs, c.config, c.filling);
      expect(out.decisions).toBeGreaterThan(1000);
      expect(out.commands).toBeGreaterThan(10);
      if (c.filling) expect(out.fills).toBeGreaterThan(0);
      expect(out).toEqual(c.expected);
    }, 60_000);
  }
});
