import { describe, expect, it } from 'vitest';
import { backendsOf, clientPriority, clientRegion, consumerOfSubscription, indexEvidence, instanceOf, ledgerPriority } from './evidence-index.ts';
import { EvidenceBuilder, sampleExpectations, WEST } from './test-evidence.ts';

describe('evidence index', () => {
  it('finds the gateway instance of a backend request through the correlation id, else the backend region', () => {
    const b = new EvidenceBuilder();
    const { attempts } = b.gatewayRequest({ at: 0, region: WEST, attempts: [{ backend: 'aoai-eastus-ptu1', status: 500 }, { backend: 'aoai-eastus-ptu2' }] });
    const orphan = b.request({ at: 5, backend: 'aoai-eastus-ptu1' });
    const index = indexEvidence(b.build());
    expect(instanceOf(index, attempts[1]!)).toEqual({ region: WEST, fromLog: true });
    expect(instanceOf(index, orphan)).toEqual({ region: 'East US', fromLog: false });
    expect(index.attempts.get(attempts[0]!.correlationId!)).toHaveLength(2);
  });

  it('maps subscriptions to consumer classes by name or longest prefix', () => {
    const consumers = sampleExpectations().consumers;
    expect(consumerOfSubscription('batch', consumers)).toBe('batch');
    expect(consumerOfSubscription('Critical-Ops-Orchestrator', consumers)).toBe('critical-ops');
    expect(consumerOfSubscription('external-partner', consumers)).toBeUndefined();
    expect(consumerOfSubscription(null, consumers)).toBeUndefined();
  });

  it('takes the X-Priority the backend saw, else the subscription class default', () => {
    const b = new EvidenceBuilder();
    const withHeader = b.gatewayRequest({ at: 0, subscription: 'batch', priority: 'Medium', attempts: [{ backend: 'aoai-eastus-ptu1' }] }).attempts[0]!;
    const without = b.gatewayRequest({ at: 0, subscription: 'critical-ops', priority: null, attempts: [{ backend: 'aoai-eastus-ptu1' }] }).attempts[0]!;
    const unknown = b.request({ at: 0, backend: 'aoai-eastus-ptu1' });
    const index = indexEvidence(b.build());
    const x = sampleExpectations();
    expect([ledgerPriority(index, withHeader, x), ledgerPriority(index, without, x), ledgerPriority(index, unknown, x)]).toEqual(['medium', 'high', 'none']);
  });

  it('reads a client request\'s class and region', () => {
    const b = new EvidenceBuilder();
    const sent = b.clientRequest({ at: 0, consumer: 'batch', priority: 'medium' });
    const defaulted = b.clientRequest({ at: 0, consumer: 'batch', priority: '', frontDoorOrigin: '', servedRegion: WEST });
    expect([clientPriority(sent, sampleExpectations()), clientPriority(defaulted, sampleExpectations())]).toEqual(['medium', 'low']);
    expect([clientRegion(sent), clientRegion(defaulted)]).toEqual(['East US', WEST]);
  });

  it('lists a region\'s backends from the expectations and the ledger', () => {
    const b = new EvidenceBuilder();
    b.request({ at: 0, backend: 'aoai-eastus-extra', region: 'East US', kind: 'ptu' });
    const index = indexEvidence(b.build());
    expect(backendsOf(index, sampleExpectations(), 'East US', 'ptu')).toEqual(['aoai-eastus-extra', 'aoai-eastus-ptu1', 'aoai-eastus-ptu2']);
  });
});
