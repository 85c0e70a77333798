import type { Logger } from '../common/logger.js';
import type { RemotingConnection } from '../transport/connection.js';
import type { ClientChannel } from './client-channel.js';

/**
 * Producer groups and their live clients, fed by heartbeats (Java's ProducerManager). A client leaves on
 * UNREGISTER_CLIENT, when its connection closes, or after `channelExpiredTimeoutMs` without a heartbeat.
 */
export class ProducerManager {
  private readonly groups = new Map<string, Map<string, ClientChannel>>();

  constructor(
    private readonly logger: Logger,
    private readonly channelExpiredTimeoutMs: number,
  ) {}

  /** Adds or refreshes a producer client of `group`. */
  register(group: string, channel: ClientChannel): void {
    let members = this.groups.get(group);
    if (members === undefined) {
      members = new Map();
      this.groups.set(group, members);
    }
    if (!members.has(channel.clientId)) {
      this.logger.info({ group, clientId: channel.clientId, addr: channel.clientAddr }, 'producer joined');
    }
    members.set(channel.clientId, { ...channel });
  }

  /** Removes a producer client (UNREGISTER_CLIENT); returns whether it was there. */
  unregister(group: string, clientId: string): boolean {
    const members = this.groups.get(group);
    if (members === undefined || !members.delete(clientId)) return false;
    if (members.size === 0) this.groups.delete(group);
    this.logger.info({ group, clientId }, 'producer unregistered');
    return true;
  }

  /** Removes every producer client using `connection` (it closed). */
  connectionClosed(connection: RemotingConnection): void {
    this.removeWhere((channel) => channel.connection === connection);
  }

  /** Drops clients whose last heartbeat is older than the expiry timeout; returns how many. */
  scanExpired(now: number): number {
    return this.removeWhere((channel) => now - channel.lastUpdateTimestamp > this.channelExpiredTimeoutMs);
  }

  /** The group's live clients. */
  channels(group: string): ClientChannel[] {
    return [...(this.groups.get(group)?.values() ?? [])];
  }

  /** Names of the groups with live clients. */
  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  /** One live connection of the group (for broker → producer calls such as transaction checks). */
  anyConnection(group: string): RemotingConnection | undefined {
    for (const channel of this.groups.get(group)?.values() ?? []) {
      if (!channel.connection.closed) return channel.connection;
    }
    return undefined;
  }

  private removeWhere(test: (channel: ClientChannel) => boolean): number {
    let count = 0;
    for (const [group, members] of [...this.groups]) {
      for (const [clientId, channel] of members) {
        if (!test(channel)) continue;
        members.delete(clientId);
        count++;
        this.logger.info({ group, clientId }, 'producer removed');
      }
      if (members.size === 0) this.groups.delete(group);
    }
    return count;
  }
}
