import t from 'tap';
import { electionNode, endpointsFromSlices, EXCLUDE_LB_LABEL, isLive } from '../../src/announce/election-inputs.js';

t.test('nodes: labels as they are, NetworkUnavailable only when True', async (t) => {
  t.same(electionNode({}), { labels: {}, networkUnavailable: false });
  const labels = { [EXCLUDE_LB_LABEL]: '', zone: 'a' };
  const n = (status: string) => electionNode({ metadata: { labels }, status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'NetworkUnavailable', status }] } });
  t.same(n('True'), { labels, networkUnavailable: true });
  t.same(n('False').networkUnavailable, false);
  t.same(n('Unknown').networkUnavailable, false, 'Unknown is not True (as MetalLB)');
});

t.test('endpoints: ready, unset (means ready), or not ready but still serving', async (t) => {
  const ep = (nodeName: string | undefined, conditions?: { ready?: boolean; serving?: boolean }) => ({ nodeName, conditions });
  const r = endpointsFromSlices([
    { endpoints: [ep('n1', { ready: true }), ep('n2', {}), ep('n3'), ep('n4', { ready: false, serving: true })] },
    { endpoints: [ep('n5', { ready: false }), ep('n6', { ready: false, serving: false }), ep('n1', { ready: true })] },
    {},
  ]);
  t.same(r, { serving: true, nodes: ['n1', 'n2', 'n3', 'n4'] });
  t.same(endpointsFromSlices([{ endpoints: [ep(undefined, { ready: true })] }]), { serving: true, nodes: [] }, 'serving without a node name');
  t.same(endpointsFromSlices([{ endpoints: [ep('n1', { ready: false, serving: false })] }]), { serving: false, nodes: [] });
  t.same(endpointsFromSlices([]), { serving: false, nodes: [] });
});

t.test('alive and suspect members are live', async (t) => {
  t.same((['alive', 'suspect', 'dead', 'left'] as const).map(isLive), [true, true, false, false]);
});
