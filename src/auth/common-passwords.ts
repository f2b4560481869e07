/**
 * A STAND-IN for a maintained list: about a hundred of the most used passwords that are 8 characters or longer
 * (shorter ones already fail the length rule), gathered from the public top-password lists (SecLists' top 10 000,
 * NCSC's top 100 000, NordPass's yearly list). NIST SP 800-63B §3.1.1.2 asks for a list of known-compromised
 * values; a maintained npm package (e.g. @zxcvbn-ts/language-common, ~30 000 entries) should replace this module:
 * only `isCommonPassword` is used elsewhere. Entries are lower-case; callers compare the normalised, lower-cased
 * password.
 */
const COMMON_PASSWORDS = new Set([
  'password', 'password1', 'password12', 'password123', 'password1234', 'password!', 'passw0rd', 'p@ssw0rd', 'p@ssword',
  'passwort', 'motdepasse', 'contraseña',
  '12345678', '123456789', '1234567890', '0123456789', '12345678910', '123456789a', 'a123456789', 'a12345678',
  'aa123456', 'aa12345678', 'a1234567', 'abc12345', 'abc123456', 'abcd1234', '1234abcd', 'abcdefgh',
  '11111111', '111111111', '1111111111', '00000000', '000000000', '88888888', '66666666', '99999999', '55555555',
  '12341234', '12344321', '11223344', '87654321', '987654321', '9876543210', '123123123', '147258369', '147852369',
  '12121212', '13131313', '112233445566',
  '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx', 'zaq12wsx', 'zaq1zaq1', 'q1w2e3r4', 'q1w2e3r4t5',
  'qwertyui', 'qwertyuiop', 'qwerty12', 'qwerty123', 'qwerty1234', 'qwer1234', '1234qwer', 'asdf1234', 'asdfasdf',
  'asdfghjk', 'asdfghjkl', '123qweasd', 'qweasdzxc', 'qazwsxedc', 'qazwsx123', 'asdasdasd', 'qweqweqwe', '12345qwert',
  'iloveyou', 'iloveyou1', 'sunshine', 'princess', 'football', 'baseball', 'basketball', 'superman', 'starwars',
  'computer', 'whatever', 'trustno1', 'welcome1', 'welcome123', 'letmein1', 'letmein123', 'changeme', 'changeme1',
  'admin123', 'admin1234', 'administrator', 'michelle', 'jennifer', 'corvette', 'mercedes', 'internet', 'liverpool',
  'babygirl', 'butterfly', 'chocolate', 'elizabeth', 'samantha', 'alexander', 'victoria', 'blink182', 'monkey123',
  'dragon123', 'master123', 'shadow123', 'football1', 'baseball1', 'princess1', 'sunshine1', 'superman1', 'jordan23'
])

export function isCommonPassword (lowerCased: string): boolean {
  return COMMON_PASSWORDS.has(lowerCased)
}
