import { ApiProperty } from '@nestjs/swagger';

/** The one answer to a request for a mail, whether or not a mail is sent. */
export class AcceptedDto {
  @ApiProperty({
    example: 'If an account with this email exists, a message is on its way.',
  })
  message!: string;
}
