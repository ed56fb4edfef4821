import { verifyWebhookSignature } from '../../src/rewards/webhook-signature.ts';
import type { ReceivedWebhook } from './webhook-receiver.ts';
import { startWorkerProcess, type WorkerProcess } from './worker-process.ts';

/** Where a worker is killed: at its n-th webhook request, before or after it is answered. */
export interface KillPlan {
  readonly atRequest: number;
  readonly phase: 'before-answer' | 'after-answer';
  /** After the answer: how long until the kill (the worker is resolving, or on to its next job). */
  readonly delayMs: number;
}

export interface FleetWorker extends WorkerProcess {
  /** Signs its webhooks: each process has its own, so the receiver knows which one sent a request. */
  readonly secret: string;
  readonly plan: KillPlan | undefined;
  readonly spawnedAt: number;
  /** performance.now() at its first webhook request. */
  firstRequestAt: number | undefined;
  requests: number;
  killed: boolean;
}

/**
 * Worker processes (`dist/main.js`, PLAUDIT_ROLE=worker) that die by SIGKILL at planned
 * points of webhook fulfilment: the n-th process follows the n-th plan, and each killed one
 * is replaced at once, so `live` processes run (or start) at any time. Processes beyond
 * the plans are never killed: they finish the work.
 */
export class WorkerFleet {
  readonly workers: FleetWorker[] = [];
  kills = 0;

  constructor(
    private readonly env: Record<string, string>,
    private readonly plans: readonly KillPlan[],
    private readonly live: number,
  ) {}

  start(): void {
    for (let n = 0; n < this.live; n++) this.#spawn();
  }

  /** The process whose secret signed the request, if any. */
  senderOf(request: ReceivedWebhook): FleetWorker | undefined {
    return this.workers.find((worker) =>
      verifyWebhookSignature(worker.secret, request, request.receivedAtSeconds),
    );
  }

  /** Counts a request of `sender` and carries out its plan: before the answer, the kill is awaited. */
  async tookRequest(sender: FleetWorker): Promise<void> {
    sender.requests += 1;
    sender.firstRequestAt ??= performance.now();
    const plan = sender.plan;
    if (!plan || sender.killed || sender.requests < plan.atRequest) return;
    sender.killed = true;
    const kill = async () => {
      sender.child.kill('SIGKILL');
      await sender.exited;
      this.kills += 1;
      this.#spawn();
    };
    if (plan.phase === 'before-answer') await kill();
    else setTimeout(() => void kill(), plan.delayMs);
  }

  /** A process that exited without being killed (it crashed on its own). */
  diedUnexpectedly(): FleetWorker | undefined {
    return this.workers.find((worker) => !worker.killed && !worker.running());
  }

  /** Milliseconds from spawning to the first webhook request, of each process that made one. */
  startupTimes(): number[] {
    return this.workers.flatMap((worker) =>
      worker.firstRequestAt === undefined ? [] : [worker.firstRequestAt - worker.spawnedAt],
    );
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) {
      if (worker.running()) worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }

  #spawn(): void {
    const generation = this.workers.length;
    const secret = `fleet-secret-${generation}-${this.env.REDIS_PREFIX ?? ''}`.padEnd(24, '-');
    this.workers.push({
      ...startWorkerProcess({ ...this.env, REWARD_WEBHOOK_SECRET: secret }),
      secret,
      plan: this.plans[generation],
      spawnedAt: performance.now(),
      firstRequestAt: undefined,
      requests: 0,
      killed: false,
    });
  }
}
