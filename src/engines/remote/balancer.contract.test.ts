import { FakeClock } from '../../core/clock.ts';
import { createRng } from '../../core/seeded-rng.ts';
import { runBalancerContract } from './balancer.contract.ts';
import { RoundRobinBalancer } from './balancer.ts';
import { P2cPeakEwmaBalancer } from './resilience/p2c-balancer.ts';
import { ResilientBalancer } from './resilience/resilient-balancer.ts';

// A clock nobody advances and a seeded draw: the same calls give the same picks.
runBalancerContract('RoundRobinBalancer', (weights) => new RoundRobinBalancer(weights));
runBalancerContract(
  'P2cPeakEwmaBalancer',
  (weights) => new P2cPeakEwmaBalancer({ weights, clock: new FakeClock(), random: createRng(7).next }),
);
runBalancerContract(
  'ResilientBalancer',
  (weights) => new ResilientBalancer({ weights, clock: new FakeClock(), random: createRng(7).next }),
);
