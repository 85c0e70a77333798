import { describe, expect, it } from 'vitest';
import { type BrokerRegistration, RouteInfoManager } from '../../src/namesrv/route-info-manager.js';
import type { TopicConfig } from '../../src/namesrv/route-types.js';

function topics(...names: string[]): Map<string, TopicConfig> {
  return new Map(
    names.map((topicName) => [topicName, { topicName, readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 }]),
  );
}

function registration(over: Partial<BrokerRegistration> = {}): BrokerRegistration {
  return {
    clusterName: 'DefaultCluster',
    brokerAddr: '10.0.0.1:10911',
    brokerName: 'broker-a',
    brokerId: 0,
    haServerAddr: '10.0.0.1:10912',
    enableActingMaster: false,
    topicConfigWrapper: {
      dataVersion: { counter: 1, timestamp: 1000, stateVersion: 0 },
      topicConfigTable: topics('T1'),
    },
    filterServerList: [],
    ...over,
  };
}

function setup() {
  const clock = { now: 1_000_000 };
  const changed: (string | undefined)[] = [];
  const manager = new RouteInfoManager({ now: () => clock.now, onRouteChange: (t) => changed.push(t) });
  return { clock, changed, manager };
}

describe('RouteInfoManager', () => {
  it('builds a route from a master registration', () => {
    const { manager } = setup();
    expect(manager.registerBroker(registration())).toEqual({});
    const route = manager.pickupTopicRouteData('T1');
    expect(route?.queueDatas).toEqual([
      { brokerName: 'broker-a', readQueueNums: 4, writeQueueNums: 4, perm: 6, topicSysFlag: 0 },
    ]);
    expect(route?.brokerDatas).toHaveLength(1);
    expect(route?.brokerDatas[0]?.brokerAddrs).toEqual(new Map([[0, '10.0.0.1:10911']]));
    expect(route?.brokerDatas[0]?.cluster).toBe('DefaultCluster');
    expect(manager.pickupTopicRouteData('nope')).toBeUndefined();
  });

  it('tells a slave its master address and HA address, and keeps both members', () => {
    const { manager } = setup();
    manager.registerBroker(registration());
    const slave = manager.registerBroker(
      registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911', haServerAddr: '10.0.0.2:10912' }),
    );
    expect(slave).toEqual({ masterAddr: '10.0.0.1:10911', haServerAddr: '10.0.0.1:10912' });
    expect(manager.brokerAddrTable.get('broker-a')?.brokerAddrs).toEqual(
      new Map([
        [0, '10.0.0.1:10911'],
        [1, '10.0.0.2:10911'],
      ]),
    );
  });

  it('gives a slave no master address when no master is alive', () => {
    const { manager } = setup();
    expect(manager.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }))).toEqual({});
    // a 5.x slave with the smallest id in its group (the prime slave) registers the queues, a 4.x slave does not
    expect(manager.pickupTopicRouteData('T1')?.queueDatas).toHaveLength(1);
    const old = setup().manager;
    old.registerBroker(registration({ brokerId: 1, enableActingMaster: undefined }));
    expect(old.pickupTopicRouteData('T1')).toBeUndefined();
  });

  it('moves an address to its new id when a slave becomes master', () => {
    const { manager } = setup();
    manager.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }));
    manager.registerBroker(registration({ brokerId: 0, brokerAddr: '10.0.0.2:10911' }));
    expect(manager.brokerAddrTable.get('broker-a')?.brokerAddrs).toEqual(new Map([[0, '10.0.0.2:10911']]));
  });

  it('updates queue data only when the data version changes', () => {
    const { manager, changed } = setup();
    manager.registerBroker(registration());
    changed.length = 0;
    manager.registerBroker(registration());
    expect(changed).toEqual([]);
    const table = topics('T1', 'T2');
    manager.registerBroker(
      registration({
        topicConfigWrapper: { dataVersion: { counter: 2, timestamp: 2000, stateVersion: 0 }, topicConfigTable: table },
      }),
    );
    expect(changed).toEqual(['T2']);
    expect(manager.allTopicList().topicList.sort()).toEqual(['T1', 'T2']);
  });

  it('ignores a registration that would take an id from an alive broker with a newer stateVersion', () => {
    const { manager } = setup();
    manager.registerBroker(
      registration({
        topicConfigWrapper: {
          dataVersion: { counter: 1, timestamp: 1, stateVersion: 5 },
          topicConfigTable: topics('T1'),
        },
      }),
    );
    const other = registration({
      brokerAddr: '10.0.0.9:10911',
      topicConfigWrapper: {
        dataVersion: { counter: 1, timestamp: 1, stateVersion: 4 },
        topicConfigTable: topics('T1'),
      },
    });
    expect(manager.registerBroker(other)).toBeUndefined();
    expect(manager.brokerAddrTable.get('broker-a')?.brokerAddrs.get(0)).toBe('10.0.0.1:10911');
  });

  it('expires brokers 120 s after their last registration or heartbeat, and their queues leave the routes', () => {
    const { manager, clock } = setup();
    manager.registerBroker(registration());
    clock.now += 100_000;
    expect(manager.touchBroker('DefaultCluster', '10.0.0.1:10911')).toBe(true);
    clock.now += 119_000;
    expect(manager.scanNotActiveBrokers()).toEqual([]);
    clock.now += 2_000;
    const expired = manager.scanNotActiveBrokers();
    expect(expired.map((b) => b.brokerAddr)).toEqual(['10.0.0.1:10911']);
    expect(manager.pickupTopicRouteData('T1')).toBeUndefined();
    expect(manager.brokerAddrTable.size).toBe(0);
    expect(manager.clusterAddrTable.size).toBe(0);
    expect(manager.touchBroker('DefaultCluster', '10.0.0.1:10911')).toBe(false);
  });

  it('honours a per-broker heartbeat timeout', () => {
    const { manager, clock } = setup();
    manager.registerBroker(registration({ heartbeatTimeoutMillis: 10_000 }));
    clock.now += 10_001;
    expect(manager.scanNotActiveBrokers()).toHaveLength(1);
  });

  it('unregisters at once the brokers of a closed connection', () => {
    const { manager } = setup();
    const connection = {};
    manager.registerBroker(registration({ connection }));
    manager.registerBroker(registration({ brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911', connection: {} }));
    expect(manager.onConnectionClosed(connection).map((b) => b.brokerName)).toEqual(['broker-a']);
    expect(manager.pickupTopicRouteData('T1')?.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-b']);
  });

  it('keeps the queues while a group still has a member, without a master in the route', () => {
    const { manager } = setup();
    manager.registerBroker(registration());
    manager.registerBroker(registration({ brokerId: 1, brokerAddr: '10.0.0.2:10911' }));
    manager.unregisterBroker({
      clusterName: 'DefaultCluster',
      brokerAddr: '10.0.0.1:10911',
      brokerName: 'broker-a',
      brokerId: 0,
    });
    const route = manager.pickupTopicRouteData('T1');
    expect(route?.brokerDatas[0]?.brokerAddrs).toEqual(new Map([[1, '10.0.0.2:10911']]));
  });

  it('wipes and restores write permission per broker group', () => {
    const { manager } = setup();
    manager.registerBroker(
      registration({
        topicConfigWrapper: { ...registration().topicConfigWrapper, topicConfigTable: topics('T1', 'T2') },
      }),
    );
    expect(manager.setWritePermOfBroker('broker-a', 'wipe')).toBe(2);
    expect(manager.pickupTopicRouteData('T1')?.queueDatas[0]?.perm).toBe(4);
    expect(manager.setWritePermOfBroker('broker-a', 'add')).toBe(2);
    expect(manager.pickupTopicRouteData('T2')?.queueDatas[0]?.perm).toBe(6);
    expect(manager.setWritePermOfBroker('nobody', 'wipe')).toBe(0);
  });

  it('lists topics by cluster, system topics, and deletes topics per cluster or everywhere', () => {
    const { manager } = setup();
    manager.registerBroker(registration());
    manager.registerBroker(registration({ clusterName: 'C2', brokerName: 'broker-b', brokerAddr: '10.0.0.3:10911' }));
    expect(manager.topicsByCluster('C2').topicList).toEqual(['T1']);
    expect(manager.topicsByCluster('unknown').topicList).toEqual([]);
    expect(manager.systemTopicList()).toEqual({
      topicList: ['DefaultCluster', 'broker-a', 'C2', 'broker-b'],
      brokerAddr: '10.0.0.1:10911',
    });
    manager.deleteTopic('T1', 'C2');
    expect(manager.pickupTopicRouteData('T1')?.brokerDatas.map((b) => b.brokerName)).toEqual(['broker-a']);
    manager.deleteTopic('T1');
    expect(manager.pickupTopicRouteData('T1')).toBeUndefined();
  });

  it('registers a topic only on broker groups it knows', () => {
    const { manager } = setup();
    manager.registerBroker(registration());
    const queue = { readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0 };
    manager.registerTopic('NEW', [
      { brokerName: 'broker-a', ...queue },
      { brokerName: 'ghost', ...queue },
    ]);
    expect(manager.pickupTopicRouteData('NEW')?.queueDatas.map((q) => q.brokerName)).toEqual(['broker-a']);
  });

  it('shows the smallest slave as master of a read-only acting-master group when supportActingMaster', () => {
    const clock = { now: 0 };
    const manager = new RouteInfoManager({ now: () => clock.now, supportActingMaster: () => true });
    manager.registerBroker(registration({ brokerId: 2, brokerAddr: '10.0.0.4:10911', enableActingMaster: true }));
    const route = manager.pickupTopicRouteData('T1');
    expect(route?.queueDatas[0]?.perm).toBe(4);
    expect(route?.brokerDatas[0]?.brokerAddrs).toEqual(new Map([[0, '10.0.0.4:10911']]));
    // the table itself is untouched
    expect(manager.brokerAddrTable.get('broker-a')?.brokerAddrs).toEqual(new Map([[2, '10.0.0.4:10911']]));
  });

  it('drops queues of topics missing from a registration when deleteTopicWithBrokerRegistration', () => {
    const manager = new RouteInfoManager({ deleteTopicWithBrokerRegistration: () => true });
    manager.registerBroker(
      registration({
        topicConfigWrapper: { ...registration().topicConfigWrapper, topicConfigTable: topics('A', 'B') },
      }),
    );
    manager.registerBroker(
      registration({
        topicConfigWrapper: {
          dataVersion: { counter: 2, timestamp: 2, stateVersion: 0 },
          topicConfigTable: topics('A'),
        },
      }),
    );
    expect(manager.allTopicList().topicList).toEqual(['A']);
  });
});
