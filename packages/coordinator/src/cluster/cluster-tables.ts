// The durable coordination state of several instances, in the PostgreSQL store's schema
// (postgres-schema.ts, version 2): live instances and their ready nodes, the leader's epoch, round
// plans, group results. Every leader write checks the epoch inside its own transaction (a fencing
// token, Kleppmann 2016 "How to do distributed locking"), so a deposed leader that still runs
// cannot plan or commit; a group result lands only while its round's plan is open.
import { FedtuneError } from '@fedtune/shared';
import type { PostgresStore, Queryable } from '../store/postgres-store.js';
import type { RoundCommit } from '../store/store.js';
import { decodeGroupSum, encodeGroupSum, type GroupDetail, type GroupResult } from './group-sums.js';
import { parsePlan, type RoundPlan } from './round-plan.js';

export interface InstanceRow {
  id: string;
  url: string;
  ready: number;
  connected: number;
}

type Row = Record<string, unknown>;

export class ClusterTables {
  constructor(readonly store: PostgresStore) {}

  private get pool() {
    return this.store.pool;
  }

  /** Says this instance is alive, with its ready and connected nodes. */
  async heartbeat(id: string, url: string, ready: number, connected: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO cluster_instances (id, url, pid, ready, connected) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET url = excluded.url, heartbeat_at = now(), ready = excluded.ready, connected = excluded.connected, stopped = false`,
      [id, url, process.pid, ready, connected],
    );
  }

  /** A graceful stop: the others stop counting on this instance at once. */
  async stopped(id: string): Promise<void> {
    await this.pool.query('UPDATE cluster_instances SET stopped = true, ready = 0 WHERE id = $1', [id]);
  }

  /** Instances heard from within `timeoutMs` (by the database's clock, so no two clocks are compared). */
  async liveInstances(timeoutMs: number): Promise<InstanceRow[]> {
    const r = await this.pool.query("SELECT id, url, ready, connected FROM cluster_instances WHERE NOT stopped AND heartbeat_at > now() - $1 * interval '1 millisecond' ORDER BY id", [timeoutMs]);
    return (r.rows as Row[]).map((x) => ({ id: String(x.id), url: String(x.url), ready: Number(x.ready), connected: Number(x.connected) }));
  }

  /** Takes the next epoch, on the connection that holds the leader's lock. */
  async claimEpoch(lock: Queryable, instance: string, url: string): Promise<number> {
    const r = await lock.query('UPDATE cluster_leader SET epoch = epoch + 1, instance = $1, url = $2, since = now() WHERE id = 1 RETURNING epoch', [instance, url]);
    return Number((r.rows[0] as Row).epoch);
  }

  async leader(): Promise<{ epoch: number; instance: string | null; url: string | null }> {
    const row = (await this.pool.query('SELECT epoch, instance, url FROM cluster_leader WHERE id = 1')).rows[0] as Row;
    return { epoch: Number(row.epoch), instance: (row.instance as string | null) ?? null, url: (row.url as string | null) ?? null };
  }

  /** @throws FedtuneError FT_ERR_NOT_LEADER when another leader has been elected since `epoch`. */
  private async fence(q: Queryable, epoch: number): Promise<void> {
    const current = Number(((await q.query('SELECT epoch FROM cluster_leader WHERE id = 1 FOR SHARE')).rows[0] as Row).epoch);
    if (current !== epoch) throw new FedtuneError('FT_ERR_NOT_LEADER', `this instance led at epoch ${epoch}; the run is now at epoch ${current}`);
  }

  /** The open round plan, if any (at most one: a plan is written only after the previous one closed). */
  async openPlan(): Promise<RoundPlan | null> {
    const row = (await this.pool.query("SELECT plan FROM cluster_plans WHERE status = 'open' ORDER BY round DESC LIMIT 1")).rows[0] as Row | undefined;
    return row === undefined ? null : parsePlan(row.plan);
  }

  /** @throws FedtuneError FT_ERR_NOT_LEADER (fenced), FT_ERR_STORE (a plan for that round exists). */
  async writePlan(plan: RoundPlan): Promise<void> {
    await this.store.transaction(`plan round ${plan.round}`, async (q) => {
      await this.fence(q, plan.epoch);
      const open = await q.query("SELECT round FROM cluster_plans WHERE status = 'open'");
      if (open.rowCount !== 0) throw new FedtuneError('FT_ERR_STORE', `round ${String((open.rows[0] as Row).round)} is still open`);
      await q.query("INSERT INTO cluster_plans (round, epoch, status, plan, deadline_at) VALUES ($1, $2, 'open', $3, to_timestamp($4 / 1000.0))", [plan.round, plan.epoch, JSON.stringify(plan), plan.deadlineAt]);
    });
  }

  /**
   * Writes a group's result while its round is open; returns false when the round had closed (the
   * sum is then never stored). The plan row is share-locked, so the leader's commit waits for it.
   */
  async writeGroup(g: GroupResult): Promise<boolean> {
    return this.store.transaction(`write the group of round ${g.round}`, async (q) => {
      const plan = (await q.query('SELECT status FROM cluster_plans WHERE round = $1 FOR SHARE', [g.round])).rows[0] as Row | undefined;
      if (plan === undefined || plan.status !== 'open') return false;
      const sum = g.sum === null ? null : Buffer.from(this.store.codec.seal(encodeGroupSum(g.sum), `group:${g.round}:${g.instance}`));
      const r = await q.query(
        'INSERT INTO cluster_groups (round, instance, status, selected, survivors, sum, detail) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (round, instance) DO NOTHING',
        [g.round, g.instance, g.status, g.selected, g.survivors, sum, JSON.stringify(g.detail)],
      );
      return r.rowCount === 1;
    });
  }

  /**
   * Claims nodes for this instance's group of `round`, and returns those it got: a node already in
   * another instance's group of the round (it moved there mid-round) stays out, so no node's update
   * is in two group sums of one round (which would double its sensitivity).
   */
  async claim(round: number, instance: string, nodes: readonly string[]): Promise<Set<string>> {
    if (nodes.length === 0) return new Set();
    const r = await this.pool.query('INSERT INTO cluster_claims (round, node, instance) SELECT $1, n, $2 FROM unnest($3::text[]) AS n ON CONFLICT (round, node) DO NOTHING RETURNING node', [round, instance, [...nodes]]);
    return new Set((r.rows as Row[]).map((x) => String(x.node)));
  }

  /** The instances that reported a group for `round`, without the sums. */
  async reported(round: number): Promise<string[]> {
    return ((await this.pool.query('SELECT instance FROM cluster_groups WHERE round = $1', [round])).rows as Row[]).map((r) => String(r.instance));
  }

  /** A round's group results with their sums opened. @throws FedtuneError FT_ERR_STORE (malformed), FT_ERR_STORE_KEY. */
  async groups(round: number, dimension: number): Promise<GroupResult[]> {
    const rows = (await this.pool.query('SELECT instance, status, selected, survivors, sum, detail FROM cluster_groups WHERE round = $1 ORDER BY instance', [round])).rows as Row[];
    return rows.map((r) => ({
      round,
      instance: String(r.instance),
      status: r.status as GroupResult['status'],
      selected: Number(r.selected),
      survivors: Number(r.survivors),
      sum: r.sum === null ? null : decodeGroupSum(this.store.codec.open(new Uint8Array(r.sum as Buffer), `group:${round}:${String(r.instance)}`), dimension),
      detail: r.detail as GroupDetail,
    }));
  }

  /**
   * Commits a planned round: the store's round commit, the plan closed and its group sums dropped
   * (they are in the model now), in one transaction, fenced by the leader's epoch.
   * @throws FedtuneError FT_ERR_NOT_LEADER, FT_ERR_STORE (the plan is not open: committed already).
   */
  async commitPlanned(epoch: number, commit: RoundCommit): Promise<void> {
    await this.store.transaction(`commit round ${commit.round}`, async (q) => {
      const plan = (await q.query('SELECT status FROM cluster_plans WHERE round = $1 FOR UPDATE', [commit.round])).rows[0] as Row | undefined;
      if (plan !== undefined && plan.status !== 'open') throw new FedtuneError('FT_ERR_STORE', `round ${commit.round} is already committed`);
      await this.fence(q, epoch);
      await this.store.commitIn(q, commit);
      if (plan !== undefined) {
        await q.query("UPDATE cluster_plans SET status = 'committed' WHERE round = $1", [commit.round]);
        await q.query('UPDATE cluster_groups SET sum = NULL WHERE round = $1', [commit.round]);
        await q.query('DELETE FROM cluster_claims WHERE round <= $1', [commit.round]);
      }
    });
  }

  /** How the run ended, once the leader says so. */
  async outcome(): Promise<unknown> {
    const v = await this.store.getMeta('run_outcome');
    return v === null ? null : (JSON.parse(v) as unknown);
  }

  /** @throws FedtuneError FT_ERR_NOT_LEADER. */
  async setOutcome(epoch: number, outcome: unknown): Promise<void> {
    await this.store.transaction('record how the run ended', async (q) => {
      await this.fence(q, epoch);
      await q.query("INSERT INTO meta (key, value) VALUES ('run_outcome', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [JSON.stringify(outcome)]);
    });
  }
}
