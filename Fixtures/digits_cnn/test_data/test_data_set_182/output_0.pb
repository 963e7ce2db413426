
BlogitsJ(╨h╪юО╜йю÷Г5а:+агhBю$аБGAp@░аюaQ=z─Ёа