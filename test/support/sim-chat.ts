/** The config of one OpenAI-dialect backend, `sim`, with the simulator as its replica and `chat` as its model. */
export function simChatBackends(simUrl: string) {
  return [
    {
      name: 'sim',
      dialect: 'openai' as const,
      replicas: [{ url: simUrl }],
      models: [{ name: 'chat', upstream: 'sim-small' }],
    },
  ];
}
