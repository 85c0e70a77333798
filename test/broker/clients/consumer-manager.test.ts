import { describe, expect, it } from 'vitest';
import type { ClientChannel } from '../../../src/broker/client-channel.js';
import { ConsumerManager } from '../../../src/broker/consumer-manager.js';
import type { SubscriptionData } from '../../../src/broker/context.js';
import { ProducerManager } from '../../../src/broker/producer-manager.js';
import { silentLogger } from '../../../src/common/logger.js';
import type { RemotingConnection } from '../../../src/transport/connection.js';

function fakeConnection(name: string): RemotingConnection {
  return { remoteAddress: name, closed: false } as unknown as RemotingConnection;
}

function channel(clientId: string, connection: RemotingConnection, now: number): ClientChannel {
  return {
    clientId,
    connection,
    clientAddr: connection.remoteAddress,
    language: 0,
    version: 121,
    lastUpdateTimestamp: now,
  };
}

function sub(topic: string, subString = '*', subVersion = 1): SubscriptionData {
  const tags = subString === '*' ? [] : subString.split('||').map((t) => t.trim());
  return { topic, subString, expressionType: 'TAG', tagsSet: tags, codeSet: [], subVersion };
}

const MODE = {
  consumeType: 'CONSUME_PASSIVELY',
  messageModel: 'CLUSTERING',
  consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET',
};

function setup(notifyEnabled = true) {
  const notified: Array<[string, string]> = [];
  const manager = new ConsumerManager({
    logger: silentLogger,
    channelExpiredTimeoutMs: 120_000,
    notifyEnabled: () => notifyEnabled,
    notify: (conn, group) => notified.push([conn.remoteAddress, group]),
  });
  return { manager, notified };
}

describe('ConsumerManager', () => {
  it('registers members, lists their ids and notifies every member when one joins', () => {
    const { manager, notified } = setup();
    const a = fakeConnection('10.0.0.1:1');
    const b = fakeConnection('10.0.0.2:1');
    expect(manager.register('cg', channel('A', a, 0), MODE, [sub('T')])).toEqual({
      membersChanged: true,
      subscriptionsChanged: true,
    });
    expect(notified).toEqual([['10.0.0.1:1', 'cg']]);
    notified.length = 0;
    manager.register('cg', channel('B', b, 0), MODE, [sub('T')]);
    expect(notified.map(([addr]) => addr).sort()).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
    expect(manager.clientIds('cg').sort()).toEqual(['A', 'B']);
    expect(manager.isBroadcasting('cg')).toBe(false);
    expect(manager.findSubscription('cg', 'T')?.subString).toBe('*');
    expect(manager.findSubscription('cg', 'Other')).toBeUndefined();
  });

  it('does not notify on a repeated identical heartbeat, but does on a subscription change', () => {
    const { manager, notified } = setup();
    const a = fakeConnection('a:1');
    manager.register('cg', channel('A', a, 0), MODE, [sub('T')]);
    notified.length = 0;
    expect(manager.register('cg', channel('A', a, 1000), MODE, [sub('T')])).toEqual({
      membersChanged: false,
      subscriptionsChanged: false,
    });
    expect(notified).toEqual([]);
    manager.register('cg', channel('A', a, 2000), MODE, [sub('T', 'TagA', 2)]);
    expect(notified).toEqual([['a:1', 'cg']]);
    expect(manager.findSubscription('cg', 'T')?.subString).toBe('TagA');
  });

  it('honours notifyConsumerIdsChangedEnable=false', () => {
    const { manager, notified } = setup(false);
    manager.register('cg', channel('A', fakeConnection('a:1'), 0), MODE, [sub('T')]);
    manager.register('cg', channel('B', fakeConnection('b:1'), 0), MODE, [sub('T')]);
    expect(notified).toEqual([]);
    expect(manager.clientIds('cg')).toHaveLength(2);
  });

  it('notifies the remaining members on unregister and on connection close, and drops empty groups', () => {
    const { manager, notified } = setup();
    const a = fakeConnection('a:1');
    const b = fakeConnection('b:1');
    manager.register('cg', channel('A', a, 0), MODE, [sub('T')]);
    manager.register('cg', channel('B', b, 0), MODE, [sub('T')]);
    notified.length = 0;
    expect(manager.unregister('cg', 'B')).toBe(true);
    expect(manager.unregister('cg', 'B')).toBe(false);
    expect(notified).toEqual([['a:1', 'cg']]);
    notified.length = 0;
    manager.connectionClosed(a);
    expect(notified).toEqual([]);
    expect(manager.group('cg')).toBeUndefined();
    expect(manager.clientIds('cg')).toEqual([]);
  });

  it('expires members 120 s after their last heartbeat, using the injected clock', () => {
    const { manager, notified } = setup();
    const a = fakeConnection('a:1');
    const b = fakeConnection('b:1');
    manager.register('cg', channel('A', a, 1_000), MODE, [sub('T')]);
    manager.register('cg', channel('B', b, 60_000), MODE, [sub('T')]);
    notified.length = 0;
    expect(manager.scanExpired(121_000)).toBe(0);
    expect(manager.scanExpired(121_001)).toBe(1);
    expect(manager.clientIds('cg')).toEqual(['B']);
    expect(notified).toEqual([['b:1', 'cg']]);
    // a heartbeat v2 without subscriptions keeps B alive
    expect(manager.touch('cg', 'B', b, 0, 170_000)).toBe(true);
    expect(manager.scanExpired(200_000)).toBe(0);
    expect(manager.touch('cg', 'B', b, 7, 170_000)).toBe(false);
    expect(manager.touch('cg', 'Z', b, 0, 170_000)).toBe(false);
    expect(manager.scanExpired(290_001)).toBe(1);
    expect(manager.group('cg')).toBeUndefined();
  });

  it('flags members of one group that subscribe differently', () => {
    const { manager } = setup();
    manager.register('cg', channel('A', fakeConnection('a:1'), 0), MODE, [sub('T', 'TagA'), sub('U')]);
    expect(manager.inconsistencies('cg')).toEqual([]);
    manager.register('cg', channel('B', fakeConnection('b:1'), 0), MODE, [sub('T', 'TagB')]);
    expect(manager.inconsistencies('cg')).toEqual([
      {
        topic: 'T',
        members: [
          { clientId: 'A', expression: 'TagA' },
          { clientId: 'B', expression: 'TagB' },
        ],
      },
      {
        topic: 'U',
        members: [
          { clientId: 'A', expression: '*' },
          { clientId: 'B', expression: null },
        ],
      },
    ]);
    manager.register('cg', channel('B', fakeConnection('b:1'), 0), MODE, [sub('T', 'TagA'), sub('U')]);
    expect(manager.inconsistencies('cg')).toEqual([]);
  });

  it('keeps the newest subscription version per topic in the group table', () => {
    const { manager } = setup();
    manager.register('cg', channel('A', fakeConnection('a:1'), 0), MODE, [sub('T', 'Old', 1)]);
    manager.register('cg', channel('B', fakeConnection('b:1'), 0), { ...MODE, messageModel: 'BROADCASTING' }, [
      sub('T', 'New', 5),
    ]);
    expect(manager.subscriptionTable('cg').get('T')?.subString).toBe('New');
    expect(manager.isBroadcasting('cg')).toBe(true);
  });
});

describe('ProducerManager', () => {
  it('registers, expires and removes producers by connection', () => {
    const producers = new ProducerManager(silentLogger, 120_000);
    const a = fakeConnection('a:1');
    const b = fakeConnection('b:1');
    producers.register('pg', channel('A', a, 0));
    producers.register('pg', channel('B', b, 100_000));
    producers.register('other', channel('A', a, 0));
    expect(producers.channels('pg').map((c) => c.clientId)).toEqual(['A', 'B']);
    expect(producers.anyConnection('pg')).toBe(a);
    expect(producers.scanExpired(120_001)).toBe(2);
    expect(producers.groupNames()).toEqual(['pg']);
    producers.connectionClosed(b);
    expect(producers.channels('pg')).toEqual([]);
    expect(producers.groupNames()).toEqual([]);
    producers.register('pg', channel('C', a, 0));
    expect(producers.unregister('pg', 'C')).toBe(true);
    expect(producers.unregister('pg', 'C')).toBe(false);
  });
});
