import { Module } from '@nestjs/common';
import { IdsController } from './ids.controller.js';

/** The demo's own ID route; Leaf's route is the library's ID server (`LeafServerModule`, in `AppModule`). */
@Module({ controllers: [IdsController] })
export class IdsModule {}
