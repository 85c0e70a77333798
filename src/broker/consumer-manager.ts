import type { Logger } from '../common/logger.js';
import type { RemotingConnection } from '../transport/connection.js';
import type { ClientChannel } from './client-channel.js';
import type { Consumers, SubscriptionData } from './context.js';

/** How a group consumes, as its heartbeats say (reference §4.2). */
export interface ConsumerGroupMode {
  /** CONSUME_ACTIVELY (pull), CONSUME_PASSIVELY (push) or CONSUME_POP. */
  consumeType: string;
  /** CLUSTERING or BROADCASTING. */
  messageModel: string;
  /** ConsumeFromWhere name, e.g. CONSUME_FROM_LAST_OFFSET. */
  consumeFromWhere: string;
}

/** One live member of a consumer group. */
export interface ConsumerMember extends ClientChannel {
  /** The member's own subscriptions by topic (its last full heartbeat). */
  subscriptions: Map<string, SubscriptionData>;
  /** 5.x heartbeat-v2 fingerprint of the last full heartbeat; 0 for classic clients. */
  fingerprint: number;
}

/** An online consumer group. */
export interface ConsumerGroupInfo extends ConsumerGroupMode {
  groupName: string;
  /** Members by client id. */
  members: Map<string, ConsumerMember>;
}

/** A topic the members of one group do not agree on: who subscribes it and with which expression. */
export interface SubscriptionInconsistency {
  topic: string;
  /** Every member, with its expression for the topic or null when it does not subscribe it. */
  members: { clientId: string; expression: string | null }[];
}

/** What a register call changed. */
export interface ConsumerRegistration {
  /** A member joined (new client id, or the same id on a new connection). */
  membersChanged: boolean;
  /** The member's subscriptions differ from its previous heartbeat. */
  subscriptionsChanged: boolean;
}

export interface ConsumerManagerOptions {
  logger: Logger;
  /** A member silent this long (ms) since its last heartbeat is dropped. */
  channelExpiredTimeoutMs: number;
  /** Whether members of `group` are told about membership changes (SubscriptionGroupConfig flag). */
  notifyEnabled(group: string): boolean;
  /** Sends NOTIFY_CONSUMER_IDS_CHANGED for `group` to one member's connection (one-way; must not throw). */
  notify(connection: RemotingConnection, group: string): void;
}

function expressionOf(sub: SubscriptionData | undefined): string | null {
  if (sub === undefined) return null;
  const type = sub.expressionType === '' ? 'TAG' : sub.expressionType;
  return type === 'TAG' ? sub.subString : `${type}:${sub.subString}`;
}

function sameSubscriptions(a: Map<string, SubscriptionData>, b: Map<string, SubscriptionData>): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, sub] of a) {
    const other = b.get(topic);
    if (other === undefined || expressionOf(other) !== expressionOf(sub)) return false;
  }
  return true;
}

/**
 * Consumer groups and their members, fed by heartbeats (Java's ConsumerManager). Members are keyed by client id and
 * leave on UNREGISTER_CLIENT, when their connection closes, or after `channelExpiredTimeoutMs` without a heartbeat;
 * every join, leave or subscription change sends NOTIFY_CONSUMER_IDS_CHANGED to the remaining members.
 *
 * Members that subscribe differently are kept as they are (RocketMQ would silently mix them up and lose messages):
 * the broker logs a warning and reports the difference through {@link inconsistencies}.
 */
export class ConsumerManager implements Consumers {
  private readonly groups = new Map<string, ConsumerGroupInfo>();
  private readonly logger: Logger;

  constructor(private readonly options: ConsumerManagerOptions) {
    this.logger = options.logger;
  }

  /**
   * Adds or refreshes a member from a full heartbeat and notifies the group if it changed. Returns what changed.
   */
  register(
    group: string,
    channel: ClientChannel,
    mode: ConsumerGroupMode,
    subscriptions: readonly SubscriptionData[],
    fingerprint = 0,
  ): ConsumerRegistration {
    let info = this.groups.get(group);
    if (info === undefined) {
      info = { groupName: group, ...mode, members: new Map() };
      this.groups.set(group, info);
    } else {
      info.consumeType = mode.consumeType;
      info.messageModel = mode.messageModel;
      info.consumeFromWhere = mode.consumeFromWhere;
    }
    const subs = new Map<string, SubscriptionData>();
    for (const sub of subscriptions) subs.set(sub.topic, sub);
    const previous = info.members.get(channel.clientId);
    const membersChanged = previous === undefined || previous.connection !== channel.connection;
    const subscriptionsChanged = previous === undefined || !sameSubscriptions(previous.subscriptions, subs);
    info.members.set(channel.clientId, { ...channel, subscriptions: subs, fingerprint });
    if (membersChanged) {
      this.logger.info({ group, clientId: channel.clientId, addr: channel.clientAddr }, 'consumer joined');
    }
    if (subscriptionsChanged) this.warnIfInconsistent(info);
    if (membersChanged || subscriptionsChanged) this.notifyGroup(info);
    return { membersChanged, subscriptionsChanged };
  }

  /**
   * A heartbeat without subscriptions (5.x heartbeat v2, `withoutSub`): refreshes the member's timestamp. Returns
   * false when the broker does not know the member with that fingerprint (the client must send a full heartbeat).
   */
  touch(group: string, clientId: string, connection: RemotingConnection, fingerprint: number, now: number): boolean {
    const member = this.groups.get(group)?.members.get(clientId);
    if (member === undefined || member.connection !== connection || member.fingerprint !== fingerprint) return false;
    member.lastUpdateTimestamp = now;
    return true;
  }

  /** Removes a member (UNREGISTER_CLIENT); returns whether it was there. */
  unregister(group: string, clientId: string): boolean {
    const info = this.groups.get(group);
    if (info === undefined || !info.members.delete(clientId)) return false;
    this.logger.info({ group, clientId }, 'consumer unregistered');
    this.afterLeave(info);
    return true;
  }

  /** Removes every member using `connection` (it closed). */
  connectionClosed(connection: RemotingConnection): void {
    for (const info of [...this.groups.values()]) {
      let removed = false;
      for (const [clientId, member] of info.members) {
        if (member.connection !== connection) continue;
        info.members.delete(clientId);
        removed = true;
        this.logger.info({ group: info.groupName, clientId }, 'consumer connection closed, member removed');
      }
      if (removed) this.afterLeave(info);
    }
  }

  /** Drops members whose last heartbeat is older than the expiry timeout; returns how many. */
  scanExpired(now: number): number {
    let count = 0;
    for (const info of [...this.groups.values()]) {
      let removed = false;
      for (const [clientId, member] of info.members) {
        if (now - member.lastUpdateTimestamp <= this.options.channelExpiredTimeoutMs) continue;
        info.members.delete(clientId);
        removed = true;
        count++;
        this.logger.warn(
          { group: info.groupName, clientId, lastHeartbeat: member.lastUpdateTimestamp },
          'consumer expired: no heartbeat within the timeout',
        );
      }
      if (removed) this.afterLeave(info);
    }
    return count;
  }

  /** The online group, if it has members. */
  group(group: string): ConsumerGroupInfo | undefined {
    return this.groups.get(group);
  }

  /** Names of the online groups. */
  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  clientIds(group: string): string[] {
    const info = this.groups.get(group);
    return info === undefined ? [] : [...info.members.keys()];
  }

  isBroadcasting(group: string): boolean {
    return this.groups.get(group)?.messageModel === 'BROADCASTING';
  }

  findSubscription(group: string, topic: string): SubscriptionData | undefined {
    const info = this.groups.get(group);
    if (info === undefined) return undefined;
    let latest: SubscriptionData | undefined;
    for (const member of info.members.values()) {
      const sub = member.subscriptions.get(topic);
      if (sub !== undefined && (latest === undefined || sub.subVersion > latest.subVersion)) latest = sub;
    }
    return latest;
  }

  /** The group's subscriptions by topic: for each topic, the newest (highest subVersion) any member sent. */
  subscriptionTable(group: string): Map<string, SubscriptionData> {
    const table = new Map<string, SubscriptionData>();
    const info = this.groups.get(group);
    if (info === undefined) return table;
    for (const member of info.members.values()) {
      for (const [topic, sub] of member.subscriptions) {
        const known = table.get(topic);
        if (known === undefined || sub.subVersion > known.subVersion) table.set(topic, sub);
      }
    }
    return table;
  }

  /** Topics the members of `group` subscribe differently (or not all of them subscribe); empty when consistent. */
  inconsistencies(group: string): SubscriptionInconsistency[] {
    const info = this.groups.get(group);
    if (info === undefined || info.members.size < 2) return [];
    const members = [...info.members.values()];
    const topics = new Set<string>();
    for (const member of members) for (const topic of member.subscriptions.keys()) topics.add(topic);
    const result: SubscriptionInconsistency[] = [];
    for (const topic of [...topics].sort()) {
      const expressions = members.map((m) => ({
        clientId: m.clientId,
        expression: expressionOf(m.subscriptions.get(topic)),
      }));
      if (new Set(expressions.map((e) => e.expression)).size > 1) result.push({ topic, members: expressions });
    }
    return result;
  }

  private afterLeave(info: ConsumerGroupInfo): void {
    if (info.members.size === 0) {
      this.groups.delete(info.groupName);
      this.logger.info({ group: info.groupName }, 'consumer group has no member left');
      return;
    }
    this.notifyGroup(info);
  }

  private warnIfInconsistent(info: ConsumerGroupInfo): void {
    const found = this.inconsistencies(info.groupName);
    if (found.length === 0) return;
    this.logger.warn(
      { group: info.groupName, inconsistencies: found },
      'members of one consumer group subscribe differently: RocketMQ clients will miss messages',
    );
  }

  private notifyGroup(info: ConsumerGroupInfo): void {
    if (!this.options.notifyEnabled(info.groupName)) return;
    for (const member of info.members.values()) {
      try {
        this.options.notify(member.connection, info.groupName);
      } catch (err) {
        this.logger.debug({ err, group: info.groupName, clientId: member.clientId }, 'notify consumer failed');
      }
    }
  }
}
