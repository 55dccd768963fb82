import { Module } from '@nestjs/common';
import { IdsController } from './ids.controller.js';
import { SegmentController } from './segment.controller.js';

@Module({ controllers: [IdsController, SegmentController] })
export class IdsModule {}
