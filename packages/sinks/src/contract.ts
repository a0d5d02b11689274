export {
  type ContractEvent,
  ContractItem,
  contractTopic,
  describeSinkContract,
  type SinkContractOptions,
  type SinkUnderTest,
  type TargetEntity,
} from './sink-contract';
