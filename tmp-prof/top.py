import json,sys,collections
for f in sys.argv[1:]:
    p=json.load(open(f))
    nodes={n['id']:n for n in p['nodes']}
    dt=collections.Counter()
    samples=p['samples']; deltas=p['timeDeltas']
    for s,d in zip(samples,deltas): dt[s]+=d
    agg=collections.Counter()
    for i,t in dt.items():
        cf=nodes[i]['callFrame']; agg[(cf['functionName'] or '(anon)')+' '+cf['url'].split('/')[-1]+':'+str(cf['lineNumber'])]+=t
    tot=sum(agg.values())/1e6
    print(f, 'total %.2fs'%tot)
    for k,v in agg.most_common(14): print('   %.3f %s'%(v/1e6,k))
