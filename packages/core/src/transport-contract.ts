// The `@inlet/core/transport-contract` entry: the contract suite every KafkaTransport passes,
// for transport packages to run from their own tests. Needs vitest (an optional peer dependency).
export { describeTransportContract, type TransportContractOptions } from './transport/transport-contract';
