import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { parsePort } from './port';

export async function bootstrap(): Promise<void> {
  const port = parsePort('PORT', process.env.PORT, 3000);
  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks();
  await app.listen(port);
  Logger.log(`coordinator listening on port ${port}`, 'Bootstrap');
}

if (require.main === module) {
  bootstrap().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
