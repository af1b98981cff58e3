export * from './team.entity';
export * from './team-member.entity';
export * from './teams.exception';
export * from './teams.module';
export * from './teams.service';
