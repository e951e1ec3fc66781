import { defineConfig } from 'vitest/config';

export default defineConfig({
  // src/ is tested as the host build compiles it: MQTT 5.0 included (src/espruino.d.ts)
  define: { MQTT5: 'true', KEEP_HOT_CALLS: 'true', TLS: 'true' },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30000,
    hookTimeout: 30000,
  },
});
